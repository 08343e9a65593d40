from hub.payments._worker import main

main()
