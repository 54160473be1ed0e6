"""English dates typed and shown month first, as English (US) readers write them (`01/31/2027`).

Django's `en` formats show a date field's value as its first input format, ISO (`2027-01-31`),
while the lists print `01/31/2027` (`SHORT_DATE_FORMAT`) and the calendar writes what the first
input format says: an English page showed one date three ways. Here the first input format is
month first, so the input shows, the calendar writes and the form reads `01/31/2027`; ISO is still
read. The Vietnamese formats (`fundmgr/formats/vi`) are day first. Settings not named here come
from Django's own `en` formats.
"""

DATE_INPUT_FORMATS = ["%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"]
DATETIME_INPUT_FORMATS = [
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
]
