#!/usr/bin/env python
from itsm.__main__ import main

if __name__ == "__main__":
    main()
