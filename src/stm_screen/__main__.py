from stm_screen.cli.main import main

main()
