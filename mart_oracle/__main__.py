import sys

from mart_oracle.cli import main

sys.exit(main())
