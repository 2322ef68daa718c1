"""What the operator tools share: `syncctl` (services/admin) and `make run`
(services/devstack) are separate programs, so the actions both take live
here rather than in either of them."""
