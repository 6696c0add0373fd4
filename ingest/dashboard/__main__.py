import sys

from ingest.dashboard import main

sys.exit(main(sys.argv[1:]))
