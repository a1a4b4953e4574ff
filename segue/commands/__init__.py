"""One module per `segue` command (or per family: the training data's three), each loaded only
when its command runs (`segue/cli.py`)."""
