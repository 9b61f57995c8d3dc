import sys

from rlvr.cli.main import main

sys.exit(main())
