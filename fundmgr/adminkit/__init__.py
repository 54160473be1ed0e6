"""The admin toolkit shared by every app's admin: scoping to the user's units and capabilities
(`scoping`), intermediate form pages (`pages`), money fields and error helpers (`forms`)."""
