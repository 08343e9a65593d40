from hub.lifecycle._worker import main

main()
