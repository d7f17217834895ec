"""python -m checker"""

from .cli import main

main()
