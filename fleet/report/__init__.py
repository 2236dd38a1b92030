"""Reports built from a `FleetRun`: JSON, JUnit XML, Prometheus textfile, HTML."""
