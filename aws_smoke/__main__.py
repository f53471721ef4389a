import sys

from aws_smoke.smoke import main

sys.exit(main())
