"""Allow ``python -m refdesk`` as well as the ``refdesk`` console script."""

from refdesk.cli.main import main

raise SystemExit(main())
