"""Samba AD rules shared by the registry validator and the DC's Ansible modules.

The rules live in naming.py and userscsv.py, standard library only, so the modules get the very
same code through module_utils symlinks (plugins/module_utils/fleet_samba_*.py).
"""
