from hub.sla._worker import main

main()
