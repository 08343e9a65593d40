from hub.kpi._worker import main

main()
