from printers.cli import main

raise SystemExit(main())
