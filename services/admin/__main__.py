from services.admin.syncctl import main

main()
