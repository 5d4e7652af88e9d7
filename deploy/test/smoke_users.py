# Run by deploy/test/run.sh inside the app image (`manage.py shell`, production settings): the
# generated demo organisations and people, then two clinicians with a random password and a
# confirmed TOTP device (production requires TOTP). Prints them for the smoke test on one line.
import json
import secrets

from django_otp.plugins.otp_totp.models import TOTPDevice

from backend import demo
from backend.accounts.models import User

demo.seed()
accounts = {}
for username in ("dr.martin", "dr.bernard"):
    user = User.objects.get(username=username)
    password = secrets.token_urlsafe(18)
    user.set_password(password)
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="deploy-test", confirmed=True)
    accounts[username] = {"password": password, "totp_key": device.key}
print("SMOKE-USERS " + json.dumps(accounts))
