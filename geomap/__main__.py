"""``python -m geomap`` runs the command line."""

from geomap.cli import command

command()
