from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from .services.topups import wallet_topup_captured
        from .signals import payment_captured

        # A captured wallet top-up credits the wallet, once.
        payment_captured.connect(wallet_topup_captured, dispatch_uid="payments.wallet_topup_captured")
