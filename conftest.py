pytest_plugins = ["orderhub.hub.testing"]
