from snaplab.cli import main

raise SystemExit(main())
