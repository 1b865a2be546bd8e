"""Country names as watchlist publishers spell them, mapped to ISO 3166-1 alpha-2 codes.

OFAC and the UN write countries by name, with their own conventions ("Korea, North", "Burma",
"Bahamas, The", "Region: Crimea"). A plain table keeps that mapping explicit and reviewable; an
unknown name maps to None so the caller can keep the original text instead of guessing.
"""

from __future__ import annotations

import re

_CODES: dict[str, str] = {
    "afghanistan": "AF", "albania": "AL", "algeria": "DZ", "andorra": "AD", "angola": "AO",
    "antigua and barbuda": "AG", "argentina": "AR", "armenia": "AM", "aruba": "AW", "australia": "AU",
    "austria": "AT", "azerbaijan": "AZ", "bahamas": "BS", "bahamas, the": "BS", "the bahamas": "BS",
    "bahrain": "BH", "bangladesh": "BD", "barbados": "BB", "belarus": "BY", "belgium": "BE",
    "belize": "BZ", "benin": "BJ", "bermuda": "BM", "bhutan": "BT", "bolivia": "BO",
    "bosnia and herzegovina": "BA", "bosnia-herzegovina": "BA", "botswana": "BW", "brazil": "BR",
    "brunei": "BN", "brunei darussalam": "BN", "bulgaria": "BG", "burkina faso": "BF", "burma": "MM",
    "myanmar": "MM", "burundi": "BI", "cabo verde": "CV", "cape verde": "CV", "cambodia": "KH",
    "cameroon": "CM", "canada": "CA", "cayman islands": "KY", "central african republic": "CF",
    "chad": "TD", "chile": "CL", "china": "CN", "colombia": "CO", "comoros": "KM",
    "congo, democratic republic of the": "CD", "democratic republic of the congo": "CD",
    "congo, republic of the": "CG", "congo": "CG", "republic of the congo": "CG", "costa rica": "CR",
    "cote d ivoire": "CI", "cote d'ivoire": "CI", "côte d'ivoire": "CI", "ivory coast": "CI",
    "croatia": "HR", "cuba": "CU", "curacao": "CW", "curaçao": "CW", "cyprus": "CY",
    "czech republic": "CZ", "czechia": "CZ", "denmark": "DK", "djibouti": "DJ", "dominica": "DM",
    "dominican republic": "DO", "ecuador": "EC", "egypt": "EG", "el salvador": "SV",
    "equatorial guinea": "GQ", "eritrea": "ER", "estonia": "EE", "eswatini": "SZ", "swaziland": "SZ",
    "ethiopia": "ET", "fiji": "FJ", "finland": "FI", "france": "FR", "gabon": "GA", "gambia": "GM",
    "gambia, the": "GM", "the gambia": "GM", "georgia": "GE", "germany": "DE", "ghana": "GH",
    "gibraltar": "GI", "greece": "GR", "grenada": "GD", "guatemala": "GT", "guernsey": "GG",
    "guinea": "GN", "guinea-bissau": "GW", "guyana": "GY", "haiti": "HT", "honduras": "HN",
    "hong kong": "HK", "hungary": "HU", "iceland": "IS", "india": "IN", "indonesia": "ID",
    "iran": "IR", "iran (islamic republic of)": "IR", "iraq": "IQ", "ireland": "IE",
    "isle of man": "IM", "israel": "IL", "italy": "IT", "jamaica": "JM", "japan": "JP", "jersey": "JE",
    "jordan": "JO", "kazakhstan": "KZ", "kenya": "KE", "kiribati": "KI", "korea, north": "KP",
    "north korea": "KP", "democratic people's republic of korea": "KP", "korea, south": "KR",
    "south korea": "KR", "republic of korea": "KR", "kosovo": "XK", "kuwait": "KW", "kyrgyzstan": "KG",
    "laos": "LA", "lao people's democratic republic": "LA", "latvia": "LV", "lebanon": "LB",
    "lesotho": "LS", "liberia": "LR", "libya": "LY", "liechtenstein": "LI", "lithuania": "LT",
    "luxembourg": "LU", "macau": "MO", "macao": "MO", "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK", "north macedonia": "MK", "madagascar": "MG",
    "malawi": "MW", "malaysia": "MY", "maldives": "MV", "mali": "ML", "malta": "MT",
    "marshall islands": "MH", "mauritania": "MR", "mauritius": "MU", "mexico": "MX", "moldova": "MD",
    "monaco": "MC", "mongolia": "MN", "montenegro": "ME", "morocco": "MA", "mozambique": "MZ",
    "namibia": "NA", "nauru": "NR", "nepal": "NP", "netherlands": "NL",
    # The Netherlands Antilles were dissolved in 2010; AN is the code ISO reserved for them.
    "netherlands antilles": "AN", "new zealand": "NZ", "nicaragua": "NI", "niger": "NE",
    "nigeria": "NG", "norway": "NO", "oman": "OM", "pakistan": "PK", "palau": "PW",
    "palestinian": "PS", "palestinian authority": "PS", "palestine": "PS", "west bank": "PS",
    "region: gaza": "PS", "gaza": "PS", "panama": "PA", "papua new guinea": "PG", "paraguay": "PY",
    "peru": "PE", "philippines": "PH", "poland": "PL", "portugal": "PT", "qatar": "QA",
    "romania": "RO", "russia": "RU", "russian federation": "RU", "rwanda": "RW",
    "saint kitts and nevis": "KN", "st. kitts & nevis": "KN", "st. kitts and nevis": "KN",
    "saint lucia": "LC", "st. lucia": "LC", "saint vincent and the grenadines": "VC",
    "st. vincent and the grenadines": "VC", "samoa": "WS", "san marino": "SM",
    "sao tome and principe": "ST", "saudi arabia": "SA", "senegal": "SN", "serbia": "RS",
    "serbia and montenegro": "CS", "seychelles": "SC", "sierra leone": "SL", "singapore": "SG",
    "slovakia": "SK", "slovenia": "SI", "solomon islands": "SB", "somalia": "SO",
    "south africa": "ZA", "south sudan": "SS", "spain": "ES", "sri lanka": "LK", "sudan": "SD",
    "suriname": "SR", "sweden": "SE", "switzerland": "CH", "syria": "SY",
    "syrian arab republic": "SY", "taiwan": "TW", "tajikistan": "TJ", "tanzania": "TZ",
    "united republic of tanzania": "TZ", "thailand": "TH", "timor-leste": "TL", "togo": "TG",
    "tonga": "TO", "trinidad and tobago": "TT", "tunisia": "TN", "turkey": "TR", "turkiye": "TR",
    "türkiye": "TR", "turkmenistan": "TM", "tuvalu": "TV", "uganda": "UG", "ukraine": "UA",
    "region: crimea": "UA", "united arab emirates": "AE", "united kingdom": "GB", "u.k.": "GB",
    "united kingdom of great britain and northern ireland": "GB", "united states": "US",
    "united states of america": "US", "u.s.": "US", "uruguay": "UY", "uzbekistan": "UZ",
    "vanuatu": "VU", "venezuela": "VE", "venezuela (bolivarian republic of)": "VE", "vietnam": "VN",
    "viet nam": "VN", "virgin islands, british": "VG", "british virgin islands": "VG", "yemen": "YE",
    "zambia": "ZM", "zimbabwe": "ZW",
    # OFAC "regions": disputed or sub-national areas, mapped to the country that contains them.
    "region: northern mali": "ML", "region: kafia kingi": "SD",
}


def country_code(name: str | None) -> str | None:
    """The ISO alpha-2 code of a country name as OFAC or the UN spell it, or None if unknown."""
    if not name:
        return None
    key = re.sub(r"\s+", " ", name).strip().lower()
    if len(key) == 2 and key.isalpha() and key.upper() in _CODES.values():
        return key.upper()
    return _CODES.get(key) or _CODES.get(key.rstrip(".").strip())
