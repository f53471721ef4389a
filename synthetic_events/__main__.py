import sys

from synthetic_events.cli import main

sys.exit(main())
