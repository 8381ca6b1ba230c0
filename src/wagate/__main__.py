from wagate.cli import main

raise SystemExit(main())
