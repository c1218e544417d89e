import sys

from segbench.parent import die_with_parent

die_with_parent()  # before anything slow: a launcher's worker may name itself in our environment

from segbench.cli import main  # after the line above, which must run first

sys.exit(main())
