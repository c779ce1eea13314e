from prodops.cli import entry

raise SystemExit(entry())
