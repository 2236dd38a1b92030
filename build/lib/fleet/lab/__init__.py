"""The embedded lab: container hosts, API simulators, lab registry helpers."""
