"""In-app notifications beside the e-mails, in the same outbox: a channel for them, the text each
row said (subject line and body), when the user read it; the dedupe key is unique per channel
(one e-mail and one in-app row for the same news), and two partial indexes serve the account's
list and the header's unread count."""

import django.core.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_notification"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="body",
            field=models.TextField(
                blank=True,
                help_text="Up to 20,000 characters.",
                max_length=20000,
                validators=[django.core.validators.MaxLengthValidator(20000)],
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="read_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="title",
            field=models.CharField(blank=True, max_length=255, verbose_name="subject line"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="channel",
            field=models.CharField(
                choices=[("email", "E-mail"), ("in_app", "In the shop")], default="email", max_length=16
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedupe_key",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="notification",
            name="last_error",
            field=models.CharField(blank=True, max_length=255, verbose_name="failure reason"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("channel", "in_app")), fields=["user", "-id"], name="notification_inbox"
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("channel", "in_app"), ("read_at__isnull", True)),
                fields=["user"],
                name="notification_unread",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(fields=("dedupe_key", "channel"), name="notification_once_per_channel"),
        ),
    ]
