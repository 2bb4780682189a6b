"""`python -m s2sgrad show|export module:function`: see `s2sgrad.cli`."""
from s2sgrad.cli import main

raise SystemExit(main())
