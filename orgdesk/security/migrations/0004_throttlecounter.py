# Rate limits shared by every server process when no Redis is configured: the counters of
# security/throttle.py, and the table of Django's DatabaseCache (settings.CACHES without
# ORGDESK_REDIS_URL). The cache table is created whatever CACHES says now, so a database
# migrated while Redis was configured still works after ORGDESK_REDIS_URL is unset.

from django.core.management import call_command
from django.db import migrations, models

CACHE_TABLE = 'orgdesk_cache'


def create_cache_table(apps, schema_editor):
    # Skips a table that exists (e.g. created by `manage createcachetable` before this).
    call_command(
        'createcachetable', CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f'DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}')


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0003_enrolment_link'),
    ]

    operations = [
        migrations.CreateModel(
            name='ThrottleCounter',
            fields=[
                ('key', models.CharField(max_length=250, primary_key=True, serialize=False)),
                ('count', models.PositiveIntegerField(default=0)),
                ('expires_at', models.FloatField(db_index=True)),
            ],
        ),
        migrations.RunPython(create_cache_table, drop_cache_table, elidable=False),
    ]
