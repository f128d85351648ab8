#!/usr/bin/env python
from yingshang.__main__ import main

if __name__ == "__main__":
    main()
