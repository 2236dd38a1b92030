"""Command-line layer: parses arguments, calls the core, renders. No logic lives here."""
