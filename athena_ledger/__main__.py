import sys

from athena_ledger.cli import main

sys.exit(main())
