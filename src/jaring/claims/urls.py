from django.urls import path

from jaring.claims import views, views_jkk

app_name = "claims"
urlpatterns = [
    path("", views.claim_list, name="list"),
    path("lapor/", views.report, name="report"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/keluarga/", views.family_add, name="family_add"),
    path("<int:pk>/ahli-waris/", views.heirs_override, name="heirs_override"),
    path("<int:pk>/dokumen/", views.document_upload, name="document_upload"),
    path("<int:pk>/keputusan/", views.decide, name="decide"),
    path("<int:pk>/kirim/", views.send, name="send"),
    path("<int:pk>/surat-pengantar.pdf", views.cover_letter_pdf, name="cover_letter_pdf"),
    path("<int:pk>/bpjs/terima/", views.bpjs_receipt, name="bpjs_receipt"),
    path("<int:pk>/bpjs/keputusan/", views.bpjs_decision, name="bpjs_decision"),
    path("<int:pk>/pembayaran/", views.payment, name="payment"),
    path("<int:pk>/serah-terima/", views.handover, name="handover"),
    path("<int:pk>/serah-terima/tanda-tangan/", views.handover_sign, name="handover_sign"),
    path("<int:pk>/berita-acara.pdf", views.handover_pdf, name="handover_pdf"),
    path("<int:pk>/jkk/<slug:action>/", views_jkk.jkk_action, name="jkk_action"),
    path("<int:pk>/beasiswa/", views.scholarship_application, name="scholarship_application"),
    path("<int:pk>/beasiswa/bayar/", views.scholarship_payment, name="scholarship_payment"),
    path("dokumen/<int:pk>/", views.document, name="document"),
    path("dokumen/<int:pk>/periksa/", views.document_verify, name="document_verify"),
    path("laporan-bpjs/", views.claim_reports, name="claim_reports"),
    path("laporan-bpjs/<int:pk>/", views.claim_report, name="claim_report"),
    path("daftar-kematian/", views.death_lists, name="death_lists"),
    path("daftar-kematian/<int:pk>/", views.death_list, name="death_list"),
]
