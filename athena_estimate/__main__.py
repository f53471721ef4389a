import sys

from athena_estimate.cli import main

sys.exit(main())
