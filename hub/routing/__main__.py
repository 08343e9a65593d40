from hub.routing._worker import main

main()
