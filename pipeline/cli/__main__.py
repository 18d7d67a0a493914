from pipeline.cli import run_main

run_main()
