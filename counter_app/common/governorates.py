"""Egypt's governorates by the two-digit code of the national ID (``21`` Giza): the centre
validates national IDs and enrolment with them, the central server groups its reports by them."""

from __future__ import annotations

#: Governorate code -> (Arabic name, English name).
GOVERNORATES: dict[str, tuple[str, str]] = {
    "01": ("القاهرة", "Cairo"),
    "02": ("الإسكندرية", "Alexandria"),
    "03": ("بورسعيد", "Port Said"),
    "04": ("السويس", "Suez"),
    "11": ("دمياط", "Damietta"),
    "12": ("الدقهلية", "Dakahlia"),
    "13": ("الشرقية", "Sharqia"),
    "14": ("القليوبية", "Qalyubia"),
    "15": ("كفر الشيخ", "Kafr El Sheikh"),
    "16": ("الغربية", "Gharbia"),
    "17": ("المنوفية", "Monufia"),
    "18": ("البحيرة", "Beheira"),
    "19": ("الإسماعيلية", "Ismailia"),
    "21": ("الجيزة", "Giza"),
    "22": ("بني سويف", "Beni Suef"),
    "23": ("الفيوم", "Fayoum"),
    "24": ("المنيا", "Minya"),
    "25": ("أسيوط", "Asyut"),
    "26": ("سوهاج", "Sohag"),
    "27": ("قنا", "Qena"),
    "28": ("أسوان", "Aswan"),
    "29": ("الأقصر", "Luxor"),
    "31": ("البحر الأحمر", "Red Sea"),
    "32": ("الوادي الجديد", "New Valley"),
    "33": ("مطروح", "Matrouh"),
    "34": ("شمال سيناء", "North Sinai"),
    "35": ("جنوب سيناء", "South Sinai"),
    "88": ("مواليد خارج الجمهورية", "Born abroad"),
}
