"""The master depot's product catalogue: about 800 products typical of a French region's school
workstations, generated deterministically (fixed seed) and shipped as data/catalogue.json.

Regenerate with `python -m fleet.lab.sim.opsi.catalogue --write`; the unit tests check that the
shipped file equals what the generator produces, so the data never drifts from its recipe.
Products are ranked (runtimes < opsi core < applications < add-ons < bundles) and dependencies
only point to a lower rank, so the dependency graph has no cycle.
"""

from __future__ import annotations

import argparse
import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import objects
from .store import DEPOT

SEED = 20240901
SIZE = 800
DATA_FILE = Path(__file__).parent / "data" / "catalogue.json"

RUNTIMES = [
    *[
        f"vcredist-{y}-{a}"
        for y in ("2008", "2010", "2012", "2013", "2015-2022")
        for a in ("x86", "x64")
    ],
    "dotnet-framework-3.5",
    "dotnet-framework-4.8.1",
    "dotnet-runtime-6",
    "dotnet-runtime-8",
    "dotnet-desktop-runtime-6",
    "dotnet-desktop-runtime-8",
    "aspnetcore-runtime-8",
    "webview2-runtime",
    "adoptium-jre-8",
    "adoptium-jre-11",
    "adoptium-jre-17",
    "adoptium-jre-21",
    "directx-runtime",
    "openjfx-21",
    "vulkan-runtime",
    "ucrt-runtime",
    "python-3.11",
    "python-3.12",
    "nodejs-lts",
    "msodbcsql-18",
]
OPSI_CORE = [
    "opsi-client-agent",
    "opsi-script",
    "opsi-configed",
    "opsi-auto-update",
    "opsi-setup-detector",
    "opsi-logviewer",
    "hwaudit",
    "swaudit",
    "shutdownwanted",
    "windomain",
    "config-win-base",
    "opsi-wan-config-on",
    "opsi-wan-config-off",
    "opsi-noop",
    "opsi-template",
    "opsi-template-with-admin",
    "opsi-wim-capture",
    "opsi-vhd-control",
    "opsi-vhd-auto-upgrade",
    "opsi-uefi-netboot",
    "opsi-hotfix",
    "opsi-winst",
    "opsi-dnsfix",
    "opsi-clientkiosk",
    "opsi-outlook-addin",
    "opsi-set-win-uac",
    "opsi-uefi-bootorder",
    "opsi-bitlocker",
    "opsi-windows-update-off",
    "opsi-wsus-client-config",
    "mshotfix",
    "mshotfix-win10-x64",
    "mshotfix-win11-x64",
    "windows10-upgrade",
    "windows11-upgrade",
]
NETBOOT = [
    "win10-x64",
    "win10-x64-ltsc",
    "win11-x64",
    "win11-x64-24h2",
    "win2019",
    "win2022",
    "win2025",
    "debian12",
    "ubuntu22-04",
    "ubuntu24-04",
    "rocky9",
    "memtest86",
    "hwinvent",
    "wipedisk",
    "opsi-clonezilla",
    "opsi-local-image-prepare",
    "opsi-local-image-backup",
    "opsi-local-image-restore",
    "opsi-local-image-win11-x64",
    "ntfs-write-image",
    "ntfs-restore-image",
    "opsi-linux-bootimage-tools",
    "gparted",
    "opsi-uefi-shell",
    "clonezilla-lycee-master",
]
APPS = [
    # browsers, office, documents
    "firefox",
    "firefox-esr",
    "google-chrome",
    "chromium",
    "microsoft-edge",
    "thunderbird",
    "7zip",
    "peazip",
    "libreoffice",
    "onlyoffice-desktopeditors",
    "microsoft-office-2021",
    "microsoft-365-apps",
    "adobe-acrobat-reader",
    "sumatrapdf",
    "pdfcreator",
    "pdf24-creator",
    "foxit-pdf-reader",
    "pdfsam-basic",
    "notepadplusplus",
    "vscode",
    "vscodium",
    "geany",
    "sublime-text",
    "calibre",
    "scribus",
    "freeplane",
    "xmind",
    "cmaptools",
    "zotero",
    "jabref",
    "texstudio",
    "miktex",
    "texmaker",
    "pandoc",
    "marktext",
    # media
    "vlc",
    "audacity",
    "gimp",
    "inkscape",
    "krita",
    "blender",
    "obs-studio",
    "shotcut",
    "openshot",
    "kdenlive",
    "handbrake",
    "avidemux",
    "musescore",
    "lmms",
    "ardour",
    "hydrogen",
    "irfanview",
    "xnview-mp",
    "paint-net",
    "darktable",
    "rawtherapee",
    "greenshot",
    "sharex",
    "photofiltre",
    "sweet-home-3d",
    "synfig-studio",
    "pencil2d",
    "stopmotion-studio",
    "audacious",
    "mp3tag",
    "k-lite-codec-pack",
    # science and mathematics
    "geogebra",
    "geogebra-classic",
    "geogebra-classic-5",
    "algobox",
    "xcas",
    "scilab",
    "octave",
    "r-project",
    "rstudio",
    "maxima",
    "wxmaxima",
    "gnuplot",
    "qgis",
    "google-earth-pro",
    "stellarium",
    "celestia",
    "avogadro",
    "jmol",
    "chemsketch",
    "regressi",
    "latis-pro",
    "atelier-scientifique",
    "mecachrono",
    "aviméca",
    "pymecavideo",
    "tracker",
    "mesurim",
    "geoplan",
    "geospace",
    "sine-qua-non",
    "dynamic-geometry-cabri",
    "mathgraph32",
    "tableur-gnumeric",
    "anagene",
    "phylogene",
    "rastop",
    "libmol",
    "edumodeles",
    "educarte",
    "sismolog",
    "tectoglob",
    "minusc",
    "svt-microscope-viewer",
    "mblock",
    "scratch-desktop",
    "scratch-2-offline",
    "thonny",
    "edupython",
    "pyzo",
    "mu-editor",
    "arduino-ide",
    "fritzing",
    "kicad",
    "logisim-evolution",
    "proteus-demo",
    "ltspice",
    "qucs-s",
    "tinkercad-shortcut",
    "cura",
    "prusaslicer",
    "openscad",
    "freecad",
    "librecad",
    "solidworks-edu",
    "autocad-edu",
    "revit-edu",
    "fusion360-edu",
    "sketchup-make",
    "catia-v5-edu",
    "inventor-edu",
    "draftsight",
    "dwg-trueview",
    "sketchup-viewer",
    "meshlab",
    "ultimaker-cura",
    "repetier-host",
    # computing (SNT, NSI, BTS SIO)
    "python3-anaconda",
    "spyder",
    "jupyterlab-desktop",
    "git",
    "tortoisegit",
    "github-desktop",
    "eclipse-java",
    "netbeans",
    "intellij-idea-community",
    "pycharm-community",
    "android-studio",
    "codeblocks",
    "dev-cpp",
    "lazarus",
    "processing",
    "greenfoot",
    "bluej",
    "mysql-workbench",
    "xampp",
    "wampserver",
    "uwamp",
    "laragon",
    "sqlitebrowser",
    "dbeaver",
    "postman",
    "filius",
    "packet-tracer",
    "gns3",
    "wireshark",
    "putty",
    "winscp",
    "filezilla",
    "mobaxterm",
    "virtualbox",
    "vmware-workstation-player",
    "notepad-sio",
    "looping-mcd",
    "jmerise",
    "analyse-si",
    "ganttproject",
    "projectlibre",
    "dia",
    "yed",
    "drawio-desktop",
    "staruml",
    "umlet",
    "visual-paradigm-ce",
    "nmap",
    "hxd",
    "docker-desktop",
    "windows-terminal",
    "powershell-7",
    "vscode-python-pack",
    "nodejs-current",
    "flutter-sdk",
    # languages and accessibility
    "lirecouleur",
    "font-opendyslexic",
    "balabolka",
    "nvda",
    "dspeech",
    "zoomit",
    "virtual-magnifying-glass",
    "antidote",
    "dictionnaire-le-robert",
    "bescherelle-conjugaison",
    "audacity-lame",
    "dyslexiclic",
    "clicker-writer",
    "wordq",
    "dragon-naturallyspeaking-edu",
    "ocr-free-ocr",
    "naps2",
    "speakup",
    "anki",
    "hot-potatoes",
    "audio-lingua-offline",
    "tandem-lingua",
    "babbel-shortcut",
    "duolingo-shortcut",
    # primary/collège learning
    "gcompris",
    "tuxpaint",
    "tuxmath",
    "tuxtyping",
    "childsplay",
    "klettres",
    "kiwix",
    "wikipedia-fr-offline",
    "vikidia-offline",
    "mathenpoche",
    "lalilo-shortcut",
    "calcul-mental",
    "pointofix",
    "openboard",
    "activinspire",
    "smart-notebook",
    "easiteach",
    "mimio-studio",
    "epson-easy-interactive-tools",
    "ebeam-edu",
    "promethean-drivers",
    "veyon",
    "italc",
    "netsupport-school",
    "epoptes-client",
    "ubiquity-classroom",
    "labomep-shortcut",
    "pix-shortcut",
    "eduscol-shortcuts",
    # school administration (vendors typical of French schools)
    "pronote-client",
    "edt-client",
    "hyperplanning-client",
    "bcdi-client",
    "esidoc-shortcut",
    "sconet-shortcut",
    "siecle-shortcut",
    "arena-shortcut",
    "netocentre-shortcut",
    "ecole-directe-shortcut",
    "gfc-client",
    "op@le-shortcut",
    "chorus-pro-shortcut",
    "scolarite-services-shortcut",
    "gibii",
    "agora-cfa-client",
    "ypareo-client",
    "netypareo-shortcut",
    "charlemagne-client",
    "apogee-client",
    "index-education-sync",
    "teamviewer-host",
    "anydesk",
    "rustdesk",
    "openvpn-connect",
    "wireguard",
    "forticlient-vpn",
    "zoom",
    "microsoft-teams",
    "webex",
    "jitsi-meet",
    "bigbluebutton-shortcut",
    "citrix-workspace",
    "vmware-horizon-client",
    "keepassxc",
    "bitwarden",
    "everything",
    "treesize-free",
    "windirstat",
    "bginfo",
    "sysinternals-suite",
    "ocs-inventory-agent",
    "glpi-agent",
    "fusioninventory-agent",
    "wazuh-agent",
    "eset-endpoint-security",
    "eset-management-agent",
    "windows-defender-config",
    "sophos-endpoint",
    "bitdefender-gravityzone",
    "kaspersky-endpoint",
    "clamwin",
    "ublock-origin-policy",
    "java-webstart",
    "icedtea-web",
    "imagemagick",
    "ghostscript",
    "ffmpeg",
    "lame",
    "gsview",
]
ADDONS = [
    ("libreoffice-help-fr", "libreoffice"),
    ("libreoffice-dict-fr", "libreoffice"),
    ("libreoffice-grammalecte", "libreoffice"),
    ("libreoffice-lirecouleur", "libreoffice"),
    ("libreoffice-dmaths", "libreoffice"),
    ("libreoffice-cmath", "libreoffice"),
    ("firefox-langpack-fr", "firefox"),
    ("firefox-esr-policies", "firefox-esr"),
    ("firefox-ublock", "firefox"),
    ("thunderbird-langpack-fr", "thunderbird"),
    ("chrome-policies-region", "google-chrome"),
    ("edge-policies-region", "microsoft-edge"),
    ("geogebra-fr-config", "geogebra-classic"),
    ("qgis-plugins-edu", "qgis"),
    ("arduino-drivers", "arduino-ide"),
    ("mblock-drivers", "mblock"),
    ("microbit-drivers", "mu-editor"),
    ("gimp-help-fr", "gimp"),
    ("inkscape-extensions-laser", "inkscape"),
    ("blender-addons-edu", "blender"),
    ("vlc-skins", "vlc"),
    ("audacity-plugins", "audacity"),
    ("musescore-soundfont", "musescore"),
    ("kiwix-zim-wikipedia", "kiwix"),
    ("freecad-workbenches", "freecad"),
    ("kicad-libraries", "kicad"),
    ("packet-tracer-labs", "packet-tracer"),
    ("virtualbox-extpack", "virtualbox"),
    ("vscode-extensions-nsi", "vscode"),
    ("eclipse-plugins-sio", "eclipse-java"),
    ("pronote-config-site", "pronote-client"),
    ("edt-config-site", "edt-client"),
    ("microsoft-office-2021-langpack-fr", "microsoft-office-2021"),
    ("office-templates-region", "libreoffice"),
    ("openboard-fonts-cursive", "openboard"),
    ("activinspire-resources", "activinspire"),
    ("smart-notebook-gallery", "smart-notebook"),
    ("veyon-master", "veyon"),
    ("veyon-config-site", "veyon"),
    ("glpi-agent-config", "glpi-agent"),
    ("eset-config-region", "eset-endpoint-security"),
    ("solidworks-edu-toolbox", "solidworks-edu"),
    ("rstudio-packages-edu", "rstudio"),
    ("python-packages-nsi", "python-3.12"),
    ("thonny-plugins", "thonny"),
    ("jupyter-kernels-edu", "python3-anaconda"),
]
FONTS = [
    "font-dejavu",
    "font-liberation",
    "font-noto",
    "font-andika",
    "font-belle-allure",
    "font-ecriture-a",
    "font-cursive-standard",
    "font-luciole",
    "font-atkinson-hyperlegible",
    "font-source-code-pro",
    "font-fira",
    "font-marianne",
]
SUBJECTS = [
    "mathematiques",
    "physique-chimie",
    "svt",
    "sti2d",
    "snt",
    "nsi",
    "bts-sio",
    "bts-crsa",
    "bac-pro-melec",
    "bac-pro-sn",
    "bac-pro-ciel",
    "technologie-college",
    "arts-plastiques",
    "education-musicale",
    "langues-vivantes",
    "cdi",
    "ulis",
    "segpa",
    "vie-scolaire",
    "administration",
    "bts-ndrc",
    "bts-gpme",
    "ef2s-soins-infirmiers",
    "ef2s-aide-soignant",
    "cfa-batiment",
    "cfa-automobile",
    "cfa-hotellerie",
    "lycee-agricole-agronomie",
    "lycee-agricole-machinisme",
    "salle-informatique-base",
]
CONFIGS = [
    "config-proxy-region",
    "config-wallpaper-region",
    "config-wifi-eduroam",
    "config-wifi-pedago",
    "config-printers-cdi",
    "config-printers-salles",
    "config-ntp-region",
    "config-power-plan",
    "config-lockscreen-charte",
    "config-startmenu-eleve",
    "config-startmenu-prof",
    "config-edge-homepage",
    "config-firefox-homepage",
    "config-ent-netocentre",
    "config-onedrive-off",
    "config-telemetry-off",
    "config-smb-signing",
    "config-rdp-admins",
    "config-local-admin-laps",
    "config-bitlocker-pedago",
    "config-windows-updates-ring1",
    "config-windows-updates-ring2",
    "config-timezone-paris",
    "config-keyboard-azerty",
    "config-screen-saver",
    "config-user-profiles-cleanup",
    "config-dns-suffix",
    "config-certificates-region",
    "config-proxy-pac",
    "config-hosts-file",
]
VENDORS = {
    "hp": [
        "laserjet-m404",
        "laserjet-m507",
        "color-laserjet-m479",
        "color-laserjet-m554",
        "laserjet-mfp-m430",
        "officejet-pro-9010",
        "pagewide-377dw",
        "laserjet-e50145",
        "universal-print-driver",
        "laserjet-p3015",
    ],
    "canon": [
        "ir-advance-c3530",
        "ir-advance-c5535",
        "ir-advance-dx-c3826",
        "i-sensys-mf445dw",
        "imagerunner-2625",
        "i-sensys-lbp623cdw",
        "generic-plus-ufr2",
        "pixma-g650",
    ],
    "ricoh": [
        "mp-c3004",
        "mp-c4504",
        "im-c3000",
        "im-c4500",
        "sp-5300dn",
        "mp-2555",
        "universal-pcl6",
    ],
    "kyocera": [
        "ecosys-m2540dn",
        "ecosys-p3145dn",
        "taskalfa-3253ci",
        "taskalfa-4053ci",
        "ecosys-m5526cdw",
    ],
    "xerox": [
        "versalink-c405",
        "versalink-b405",
        "altalink-c8130",
        "workcentre-6515",
        "global-print-driver",
    ],
    "brother": ["hl-l2350dw", "mfc-l2710dw", "hl-l6300dw", "mfc-l8690cdw", "dcp-l2530dw"],
    "epson": [
        "workforce-pro-wf-c5790",
        "ecotank-et-4850",
        "workforce-enterprise-wf-c20600",
        "eb-695wi-projector",
    ],
    "konica": ["bizhub-c300i", "bizhub-c250i", "bizhub-4750", "universal-pcl"],
    "lexmark": ["ms621dn", "mx522adhe", "cx725de", "universal-v2"],
    "sharp": ["mx-3071", "mx-4071", "bp-50c26"],
}
MODELS = {
    "dell": [
        "latitude-3420",
        "latitude-5420",
        "latitude-5430",
        "latitude-5540",
        "optiplex-3080",
        "optiplex-3090",
        "optiplex-5090",
        "optiplex-7010",
        "optiplex-7020",
        "vostro-3520",
        "precision-3660",
        "optiplex-3000-mff",
    ],
    "hp": [
        "elitebook-840-g8",
        "elitebook-840-g9",
        "probook-450-g8",
        "probook-450-g9",
        "prodesk-400-g7",
        "prodesk-400-g9",
        "prodesk-600-g6",
        "elitedesk-800-g6",
        "elitedesk-800-g8",
        "z2-g9",
        "probook-x360-11-g7",
    ],
    "lenovo": [
        "thinkcentre-m70q",
        "thinkcentre-m75q",
        "thinkcentre-m720s",
        "thinkcentre-m90t",
        "thinkpad-l14-g2",
        "thinkpad-l14-g3",
        "thinkpad-e14-g4",
        "thinkpad-t14-g3",
        "thinkbook-14-g4",
        "v15-g2",
        "100e-g3",
        "300w-yoga-g3",
        "thinkpad-11e-yoga-g6",
    ],
    "acer": ["travelmate-p214", "travelmate-b311", "veriton-m4680g", "veriton-x2690g", "aspire-5"],
    "asus": ["expertbook-b1500", "expertcenter-d500", "br1100f", "vivobook-15"],
    "fujitsu": ["esprimo-p558", "esprimo-d7010", "lifebook-u7411"],
    "microsoft": ["surface-laptop-se", "surface-go-3", "surface-pro-8"],
    "dynabook": ["satellite-pro-c40", "tecra-a40"],
}


def _version(rnd: random.Random) -> str:
    shape = rnd.random()
    if shape < 0.55:
        return f"{rnd.randint(1, 30)}.{rnd.randint(0, 12)}.{rnd.randint(0, 20)}"
    if shape < 0.8:
        return f"{rnd.randint(1, 140)}.{rnd.randint(0, 9)}"
    if shape < 0.92:
        return f"{rnd.choice((2021, 2022, 2023, 2024))}.{rnd.randint(1, 12)}"
    return f"{rnd.randint(1, 9)}.{rnd.randint(0, 99)}.{rnd.randint(0, 9)}.{rnd.randint(100, 9999)}"


def _name(pid: str) -> str:
    return " ".join(part.capitalize() for part in pid.replace("_", "-").split("-"))


def _ascii_id(pid: str) -> str:
    """Product ids must match ^[a-z0-9-_.]+: drop accents and other characters."""
    table = str.maketrans("éèêàâîôûç", "eeeaaiouc")
    return "".join(c for c in pid.translate(table) if c.isalnum() or c in "-_.")


def _property_templates() -> list[dict[str, Any]]:
    return [
        {
            "type": "UnicodeProductProperty",
            "propertyId": "install_architecture",
            "description": "which architecture (32 / 64 bit) has to be installed",
            "possibleValues": ["32 only", "64 only", "both", "system specific"],
            "defaultValues": ["system specific"],
            "editable": False,
            "multiValue": False,
        },
        {
            "type": "BoolProductProperty",
            "propertyId": "desktop-link",
            "description": "Link on the desktop?",
            "defaultValues": [False],
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "language",
            "description": "UI language",
            "possibleValues": ["de", "en", "es", "fr", "it"],
            "defaultValues": ["fr"],
            "editable": False,
            "multiValue": False,
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "custom-post-install",
            "description": "Define filename for include script in custom directory after installation",
            "possibleValues": ["none"],
            "defaultValues": ["none"],
            "editable": True,
            "multiValue": False,
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "custom-post-deinstall",
            "description": "Define filename for include script in custom directory after deinstallation",
            "possibleValues": ["none"],
            "defaultValues": ["none"],
            "editable": True,
            "multiValue": False,
        },
        {
            "type": "BoolProductProperty",
            "propertyId": "uninstall_before_install",
            "description": "Deinstall the old version before installing",
            "defaultValues": [True],
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "license-key",
            "description": "Site licence key",
            "possibleValues": [],
            "defaultValues": [""],
            "editable": True,
            "multiValue": False,
        },
        {
            "type": "BoolProductProperty",
            "propertyId": "auto-update",
            "description": "Let the application update itself",
            "defaultValues": [False],
        },
        {
            "type": "BoolProductProperty",
            "propertyId": "kill-running",
            "description": "Kill running instances before installation",
            "defaultValues": [True],
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "components",
            "description": "Components to install",
            "possibleValues": ["core", "docs", "examples", "plugins", "samples"],
            "defaultValues": ["core", "plugins"],
            "editable": False,
            "multiValue": True,
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "start-menu-folder",
            "description": "Start menu folder",
            "possibleValues": ["Applications", "Lycee", "Sciences"],
            "defaultValues": ["Applications"],
            "editable": True,
            "multiValue": False,
        },
        {
            "type": "UnicodeProductProperty",
            "propertyId": "update-channel",
            "description": "Update channel",
            "possibleValues": ["esr", "stable"],
            "defaultValues": ["stable"],
            "editable": False,
            "multiValue": False,
        },
    ]


NETBOOT_PROPS = [
    {
        "type": "BoolProductProperty",
        "propertyId": "askbeforeinst",
        "description": "Should there be a question before the installation starts?",
        "defaultValues": [True],
    },
    {
        "type": "UnicodeProductProperty",
        "propertyId": "system_keyboard_layout",
        "description": "keyboard layout",
        "possibleValues": ["de-DE", "en-US", "fr-FR"],
        "defaultValues": ["fr-FR"],
        "editable": False,
        "multiValue": False,
    },
    {
        "type": "UnicodeProductProperty",
        "propertyId": "winpe_dir",
        "description": "winpe directory",
        "possibleValues": ["auto", "winpe", "winpe_uefi"],
        "defaultValues": ["auto"],
        "editable": True,
        "multiValue": False,
    },
    {
        "type": "BoolProductProperty",
        "propertyId": "boot_partition_uefi",
        "description": "Create an UEFI boot partition",
        "defaultValues": [True],
    },
]


def generate(seed: int = SEED, size: int = SIZE) -> dict[str, Any]:
    """The catalogue as object dicts (the JSON that data/catalogue.json holds)."""
    rnd = random.Random(seed)
    ranked: list[tuple[str, int, str]] = []  # (id, rank, kind)
    ranked += [(p, 0, "runtime") for p in RUNTIMES]
    ranked += [(p, 1, "opsi") for p in OPSI_CORE]
    ranked += [(p, 1, "netboot") for p in NETBOOT]
    ranked += [(p, 1, "font") for p in FONTS]
    ranked += [(p, 2, "app") for p in APPS]
    ranked += [(p, 3, "addon") for p, _ in ADDONS]
    ranked += [(p, 2, "config") for p in CONFIGS]
    ranked += [(f"pack-{s}", 4, "pack") for s in SUBJECTS]
    kbs = sorted({f"kb50{rnd.randint(10000, 49999)}" for _ in range(40)})
    ranked += [(kb, 1, "hotfix") for kb in kbs]
    extras = [(f"printer-{v}-{m}", 2, "printer") for v, ms in VENDORS.items() for m in ms]
    extras += [(f"driver-{v}-{m}", 1, "driver") for v, ms in MODELS.items() for m in ms]
    for pid, rank, kind in extras:
        ranked.append((pid, rank, kind))
    # Fill up to `size` with per-model firmware/BIOS and docking-station packages.
    fill = [
        (f"{what}-{v}-{m}", 1, "driver")
        for what in ("bios", "dock-driver", "wifi-driver")
        for v, ms in MODELS.items()
        for m in ms
    ]
    seen: set[str] = set()
    chosen: list[tuple[str, int, str]] = []
    for pid, rank, kind in ranked + fill:
        pid = _ascii_id(pid)
        if pid in seen:
            continue
        seen.add(pid)
        chosen.append((pid, rank, kind))
        if len(chosen) == size:
            break
    addon_parent = {_ascii_id(a): _ascii_id(b) for a, b in ADDONS}
    by_rank: dict[int, list[str]] = {}
    for pid, rank, kind in chosen:
        if kind not in ("netboot",):
            by_rank.setdefault(rank, []).append(pid)
    templates = _property_templates()
    products: list[dict] = []
    deps: list[dict] = []
    props: list[dict] = []
    versions: dict[str, tuple[str, str]] = {}
    for pid, rank, kind in chosen:
        pver, kver = _version(rnd), str(rnd.randint(1, 12))
        versions[pid] = (pver, kver)
        netboot = kind == "netboot"
        prod: dict[str, Any] = {
            "type": "NetbootProduct" if netboot else "LocalbootProduct",
            "id": pid,
            "productVersion": pver,
            "packageVersion": kver,
            "name": _name(pid),
            "licenseRequired": kind == "app" and rnd.random() < 0.12,
            "setupScript": "setup.py" if netboot else "setup.opsiscript",
            "uninstallScript": "" if netboot else "uninstall.opsiscript",
            "updateScript": "update.opsiscript"
            if kind in ("app", "addon") and rnd.random() < 0.2
            else "",
            "alwaysScript": "always.opsiscript" if kind == "config" and rnd.random() < 0.3 else "",
            "onceScript": "once.opsiscript" if kind == "opsi" and rnd.random() < 0.2 else "",
            "customScript": "",
            "priority": {"runtime": 40, "opsi": 90, "hotfix": -10, "config": 10, "pack": -20}.get(
                kind, 0
            )
            if kind != "app"
            else rnd.choice((0, 0, 0, 0, 5, -5)),
            "description": f"{_name(pid)} — paquet {kind} du catalogue régional",
            "advice": "Redémarrage requis après installation"
            if kind in ("driver", "hotfix")
            else "",
            "changelog": f"{pid} ({pver}-{kver}) stable; urgency=low\n\n  * new upstream release\n",
            "productClassIds": [],
            "windowsSoftwareIds": [],
        }
        if netboot:
            prod["pxeConfigTemplate"] = ""
        else:
            prod["userLoginScript"] = (
                "userlogin.opsiscript" if kind == "config" and rnd.random() < 0.2 else ""
            )
        products.append(objects.from_hash(prod, "Product"))
        # properties
        if netboot:
            chosen_props = NETBOOT_PROPS
        elif kind in ("app", "addon", "runtime"):
            chosen_props = rnd.sample(templates, rnd.randint(1, 4))
        else:
            chosen_props = rnd.sample(templates[:6], rnd.randint(0, 2))
        for tmpl in sorted(chosen_props, key=lambda t: t["propertyId"]):
            prop = {**tmpl, "productId": pid, "productVersion": pver, "packageVersion": kver}
            props.append(objects.from_hash(prop, "ProductProperty"))
        # dependencies (only towards a lower rank, so no cycle)
        required: list[tuple[str, str | None, str | None, str | None]] = []
        if kind == "addon":
            required.append((addon_parent[pid], None, "installed", "before"))
        elif kind == "opsi" and pid != "opsi-client-agent":
            if rnd.random() < 0.4:
                required.append(("opsi-client-agent", None, "installed", None))
        elif kind == "pack":
            for other in rnd.sample(by_rank[2], rnd.randint(3, 8)):
                required.append((other, "setup", None, rnd.choice((None, "after"))))
        elif kind in ("app", "printer", "config") and rank > 0 and rnd.random() < 0.35:
            for other in rnd.sample(by_rank[0], rnd.randint(1, 2)):
                required.append((other, "setup", None, "before"))
        for other, action, status, rtype in required:
            dep = {
                "productId": pid,
                "productVersion": pver,
                "packageVersion": kver,
                "productAction": "setup",
                "requiredProductId": other,
                "requiredAction": action,
                "requiredInstallationStatus": status,
                "requirementType": rtype,
            }
            deps.append(objects.from_hash(dep, "ProductDependency"))
        if kind == "app" and rnd.random() < 0.03:
            runtime = rnd.choice(by_rank[0])
            deps.append(
                objects.from_hash(
                    {
                        "productId": pid,
                        "productVersion": pver,
                        "packageVersion": kver,
                        "productAction": "uninstall",
                        "requiredProductId": runtime,
                        "requiredAction": None,
                        "requiredInstallationStatus": "installed",
                        "requirementType": "after",
                    },
                    "ProductDependency",
                )
            )
    # required versions: pin some dependencies to the catalogue's current version
    for dep in deps:
        if rnd.random() < 0.15:
            dep["requiredProductVersion"], dep["requiredPackageVersion"] = versions[
                dep["requiredProductId"]
            ]
    return {
        "seed": seed,
        "generator": "fleet.lab.sim.opsi.catalogue",
        "products": [_strip(p) for p in products],
        "productDependencies": [_strip(d) for d in deps],
        "productProperties": [_strip(p) for p in props],
    }


def _strip(obj: dict) -> dict:
    return {k: val for k, val in obj.items() if val is not None}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


class Catalogue:
    """The shipped catalogue as shared, read-only base tables (ident -> object dict)."""

    def __init__(self, data: dict[str, Any]):
        self.products = self._table(data["products"], "Product")
        self.dependencies = self._table(data["productDependencies"], "ProductDependency")
        self.properties = self._table(data["productProperties"], "ProductProperty")
        # Every product is installed on the device's own depot (placeholder DEPOT) ...
        pods = [
            {
                "type": "ProductOnDepot",
                "productId": p["id"],
                "productType": p["type"],
                "productVersion": p["productVersion"],
                "packageVersion": p["packageVersion"],
                "depotId": DEPOT,
                "locked": False,
            }
            for p in self.products.values()
        ]
        self.product_on_depots = {objects.ident_of(p): p for p in pods}
        # ... with the depot's property values set to the defaults, as depot_installPackage does.
        states = [
            {
                "type": "ProductPropertyState",
                "productId": p["productId"],
                "propertyId": p["propertyId"],
                "objectId": DEPOT,
                "values": list(p["defaultValues"]),
            }
            for p in self.properties.values()
        ]
        self.property_states = {objects.ident_of(s): s for s in states}

    @staticmethod
    def _table(rows: list[dict], base: str) -> dict[str, dict]:
        out = {}
        for row in rows:
            cls = objects.CLASSES[row["type"]]
            obj = {attr: row.get(attr) for attr in cls.attrs}
            obj["type"] = row["type"]
            out[objects.ident_of(obj)] = obj
        return out

    def stats(self) -> dict[str, Any]:
        types: dict[str, int] = {}
        for p in self.products.values():
            types[p["type"]] = types.get(p["type"], 0) + 1
        return {
            "products": len(self.products),
            "by_type": types,
            "dependencies": len(self.dependencies),
            "properties": len(self.properties),
            "products_with_dependencies": len({d["productId"] for d in self.dependencies.values()}),
            "products_with_properties": len({p["productId"] for p in self.properties.values()}),
        }


@lru_cache(maxsize=1)
def load() -> Catalogue:
    return Catalogue(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the lab's opsi catalogue (deterministic)."
    )
    parser.add_argument("--write", action="store_true", help=f"write {DATA_FILE}")
    args = parser.parse_args(argv)
    text = render(generate())
    if args.write:
        DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
        tmp = DATA_FILE.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(DATA_FILE)
    print(json.dumps(Catalogue(json.loads(text)).stats()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
