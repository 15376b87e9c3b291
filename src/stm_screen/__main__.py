from stm_screen.cli.app import main

main()
