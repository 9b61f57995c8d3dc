"""`python -m base_training stage=...`: same as `rlvr sft`."""

import sys

from base_training.cli import main

sys.exit(main())
