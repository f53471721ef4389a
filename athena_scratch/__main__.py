import sys

from athena_scratch.cli import main

sys.exit(main())
