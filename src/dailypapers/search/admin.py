from django.contrib import admin

from .models import PaperEmbedding


@admin.register(PaperEmbedding)
class PaperEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["paper", "model", "embedded_at"]
    list_filter = ["model"]
    raw_id_fields = ["paper"]
    readonly_fields = ["paper", "model", "text_hash", "embedded_at"]
    exclude = ["vector"]
