"""What Django's Vietnamese formats lack: dates typed and shown day first (`06/12/2026`).

Django has no Vietnamese input formats, so it fell back to the American ones: `05/01/2027` was
read as the 1st of May, and `13/01/2027` refused. Settings not named here come from Django's own
`vi` formats (`FORMAT_MODULE_PATH` is searched first).
"""

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
]
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
