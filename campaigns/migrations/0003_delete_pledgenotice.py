"""`PledgeNotice` moved to the donations app as `donations.PledgeEmail` (kind confirmation);
`donations/0005` has copied its rows, so it is deleted here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_pledge_notice"),
        ("donations", "0005_pledge_email_from_pledge_notice"),
    ]

    operations = [migrations.DeleteModel(name="PledgeNotice")]
