from praisonai_platform.cli import main

main()
