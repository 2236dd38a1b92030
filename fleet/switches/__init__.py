"""Switches: the intended configuration rendered from the registry (render.py), the remediation
computed with hier_config (remediation.py), the netmiko session (device.py) and one switch's
converge run (converge.py). docs/switches.md.

The modules run under Ansible through plugins/module_utils/fleet_switch_*.py (symlinks), so each
imports its siblings both ways and needs only the standard library, jinja2, hier_config and
netmiko.
"""
