"""``python -m yingshang.bidder``: the same as the ``yingshang-bidder`` console script."""

import sys

from yingshang.bidder.cli import main

if __name__ == "__main__":
    sys.exit(main())
