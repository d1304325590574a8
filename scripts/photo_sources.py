"""The Debian packages and files that ``data/photos_train_extra`` is made of.

Chosen by eye: photographs of scenes and objects, no renderings, drawings, abstract art,
screenshots or astronomy images; licences as each package's Debian copyright file (or
the licence note kept beside the images) states them. Packages whose photos already
are in ``data/photos`` (mate-backgrounds, lomiri-wallpapers, GCompris' erase, details,
clickgame and explore activities, most plasma-workspace-wallpapers) are not used again.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """Photos of one Debian package.

    Args:
        package: Debian package name (``apt-get download <package>``).
        suite: Debian suite it was taken from (bookworm, trixie).
        members: paths inside the unpacked package; ``rcc:<archive>:<path>`` reads a
            file out of a Qt resource archive (GCompris stores its images so).
        licence: licence of these files as the copyright file states it.
        notes: further licence files inside the package, copied to ``LICENSES/``
            as ``<package>.<name>``.
        qualify: name the photos ``<package>__<archive>_<stem>.jpg`` after their Qt
            resource archive (GCompris activities reuse file names such as ``horse``).
    """

    package: str
    suite: str
    members: tuple[str, ...]
    licence: str
    notes: tuple[str, ...] = ()
    qualify: bool = False

    def copyright_path(self, root: Path) -> Path:
        return root / self.package / "usr/share/doc" / self.package / "copyright"


_BUDGIE = "usr/share/backgrounds/budgie/"
_TUX = "usr/share/tuxpaint/templates/"
_LXQT = "usr/share/lxqt/wallpapers/"
_SCRATCH = "usr/share/scratch/Media/Backgrounds/"
_GRUB = "usr/share/images/grub/"


def _gc(activity: str, path: str) -> str:
    """A GCompris photo ``<path>.webp`` in one activity's Qt resource archive."""
    return (f"rcc:usr/share/gcompris-qt/rcc/{activity}.rcc:gcompris/src/activities/"
            f"{activity}/resource/{path}.webp")


def _by_licence(package: str, suite: str, licences: dict[str, str],
                qualify: bool = False) -> tuple[Source, ...]:
    """One source per licence, for a copyright file that gives a licence per file."""
    groups: dict[str, list[str]] = {}
    for member, lic in licences.items():
        groups.setdefault(lic, []).append(member)
    return tuple(Source(package, suite, tuple(ms), f"{lic} (per file); see LICENSES/"
                        f"{package}.copyright", qualify=qualify) for lic, ms in groups.items())


#: GCompris categorization photos beyond the first seven, by the licence that the copyright
#: file gives each (the fishes are left out: their entries there describe other pictures;
#: colosseum and greatPyramid are near copies of photos in data/photos)
_GC_CATEGORIZATION = (
    ("CC-BY-1.0", "renewable/windmill7 tools/scissors2"),
    ("CC-BY-2.0", "monuments/greatWall monuments/leaningTowerOfPisa monuments/mountRushmore "
                  "renewable/dam3 renewable/solar1 renewable/solar3 renewable/solar7 "
                  "renewable/windmill12 renewable/windmill14"),
    ("CC-BY-3.0", "monuments/zimniPalace"),
    ("CC-BY-SA-2.0", "monuments/arcDeTriomphe monuments/bayterek monuments/statueOfLiberty "
                     "others/baseball renewable/windmill11 renewable/windmill9"),
    ("CC-BY-SA-3.0", "monuments/IndiaGate monuments/burj monuments/cathedral "
                     "monuments/empireState monuments/kutubMinar "
                     "monuments/monument2 monuments/monument3 monuments/operaHouse "
                     "monuments/parthenon monuments/usCapitol others/bulb others/chair "
                     "others/knife others/pillow others/plate renewable/dam1 renewable/dam4 "
                     "renewable/dam5 renewable/solar8 renewable/windmill1 renewable/windmill13 "
                     "renewable/windmill15 renewable/windmill2 renewable/windmill3 "
                     "renewable/windmill4 renewable/windmill5 tools/hammer4 "
                     "tools/measuringTape2 tools/screwDriver1"),
    ("CC-BY-SA-4.0", "monuments/monument1 monuments/tajMahal renewable/geothermal "
                     "renewable/solar5 renewable/windmill8 tools/sickle"),
    ("CC0-1.0", "renewable/solar2"),
    ("public-domain", "others/bucket others/igloo others/pan others/volleyball renewable/dam2 "
                      "renewable/solar4 renewable/windmill tools/hammer3 tools/multimeter2 "
                      "tools/screwDriver tools/sideCutter1"),
)


_WP25 = "usr/share/wordpress/wp-content/themes/twentytwentyfive/assets/images/"
_WP24 = "usr/share/wordpress/wp-content/themes/twentytwentyfour/assets/images/"
_GC = "rcc:usr/share/gcompris-qt/rcc/categorization.rcc:gcompris/src/activities/categorization/" \
      "resource/images/"

#: The sources of ``data/photos_train_extra`` (chosen by eye: photographs of scenes,
#: no renderings, drawings or abstract art; licences checked in each copyright file).
SOURCES: tuple[Source, ...] = (
    Source("budgie-backgrounds", "trixie", tuple(_BUDGIE + f + ".jpg" for f in (
        "beacon-street-sunset", "blue-periwinkle", "canyon-wren", "casa-mila",
        "extreme-desert-hike", "high-trestle-trail", "lake-sherburne", "oakland-zoo-otters",
        "perched-osprey", "piazza-gae-aulenti", "roman-colosseum", "singaporean-cityscape",
        "tea-gardens")),
        "CC0-1.0; see LICENSES/budgie-backgrounds.copyright"),
    Source("tuxpaint-data", "trixie", tuple(_TUX + f + ".jpg" for f in (
        "burnt_bark", "cliff", "clouds_from_airplane", "corn_maze", "jellyfish", "lighthouse",
        "lough_leane", "mossy_bark", "mossy_log", "mudstone", "ocean_splash", "ocean_waves",
        "redwoods_above", "rocks", "sheep", "spiders_web", "sun_behind_clouds",
        "sun_behind_leaves", "trees_above", "trees_at_dusk", "wool_mill_machine")),
        "GPL-2+ (Files: *); see LICENSES/tuxpaint-data.copyright"),
    Source("lxqt-themes", "bookworm", tuple(_LXQT + f for f in (
        "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
        "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
        "this-is-not-windows.jpg")),
        "CC-BY-SA-3.0 (LXQt Project Team); see LICENSES/lxqt-themes.copyright and "
        "lxqt-themes.License", notes=(_LXQT + "License",)),
    Source("palapeli-data", "bookworm", tuple("usr/share/palapeli/collection/" + f + ".jpg"
                                              for f in ("castle-maintenon", "cincinnati-bridge",
                                                        "citrus-fruits", "european-honey-bee",
                                                        "panther-chameleon-female")),
           "GPL-2+ (Files: *); see LICENSES/palapeli-data.copyright"),
    Source("pysolfc", "trixie", ("usr/share/games/pysolfc/tiles/save-aspect/Leaf.jpg",
                                 "usr/share/games/pysolfc/tiles/save-aspect/Mountains.jpg"),
           "CC0 (tiles/COPYRIGHT); see LICENSES/pysolfc.copyright and pysolfc.COPYRIGHT",
           notes=("usr/share/games/pysolfc/tiles/COPYRIGHT",)),
    Source("gcompris-qt-data", "bookworm", tuple(_GC + f + ".webp" for f in (
        "alphabets/alphabets", "numbers/numbers", "others/spoons", "others/weighingMachine",
        "renewable/windmill6", "tools/nailCutter", "monuments/victoriaMemorial")),
        "mostly CC-BY / CC-BY-SA (Wikimedia Commons), per file; see "
        "LICENSES/gcompris-qt-data.copyright"),
    Source("scratch", "bookworm", tuple(_SCRATCH + f + ".jpg" for f in (
        "Indoors/clothing-store", "Indoors/hall", "Indoors/kitchen", "Indoors/the-movies-inside",
        "Nature/beach-malibu", "Nature/canyon", "Nature/flower-bed", "Nature/forest",
        "Nature/garden-rock", "Nature/grand-canyon", "Nature/gravel-desert", "Nature/hill",
        "Nature/lake", "Nature/moon", "Nature/pathway", "Nature/tree", "Nature/water-and-rocks",
        "Nature/wave", "Outdoors/all-sports-mural", "Outdoors/atom-playground",
        "Outdoors/bench-with-view", "Outdoors/berkeley-mural", "Outdoors/boardwalk",
        "Outdoors/brick-wall-and-stairs", "Outdoors/brick-wall1", "Outdoors/brick-wall2",
        "Outdoors/building-at-mit", "Outdoors/building-fireproof", "Outdoors/castle",
        "Outdoors/city-with-water", "Outdoors/city-with-water2", "Outdoors/driveway",
        "Outdoors/hallway_outdoors", "Outdoors/hay_field", "Outdoors/houses", "Outdoors/mansion",
        "Outdoors/mural-faro", "Outdoors/parking-ramp", "Outdoors/pool", "Outdoors/route66",
        "Outdoors/silos", "Outdoors/the-movies", "Outdoors/train-tracks1",
        "Outdoors/train-tracks2", "Outdoors/village", "Outdoors/wooden-house",
        "Sports/baseball-field", "Sports/basketball-court1-a", "Sports/basketball-court1-b",
        "Sports/football-field", "Sports/playing-field", "Sports/tennis-backboard")),
        "CC-BY-SA-3.0 (Files: Media/*, MIT); see LICENSES/scratch.copyright"),
    Source("grub2-splashimages", "trixie", tuple(_GRUB + f + ".tga" for f in (
        "050817-N-3488C-028", "Apollo_17_The_Last_Moon_Shot_Edit1", "B-1B_over_the_pacific_ocean",
        "BonsaiTridentMaple", "Moraine_Lake_17092005", "Windbuchencom")),
        "public domain (Wikimedia Commons), per file; see LICENSES/grub2-splashimages.copyright"),
    Source("grub2-splashimages", "trixie", tuple(_GRUB + f + ".tga" for f in (
        "2006-02-15_Piping", "Hortensia-1", "Lake_mapourika_NZ", "Plasma-lamp",
        "TulipStair_QueensHouse_Greenwich")),
        "GFDL-1.2+ (Wikimedia Commons), per file; see LICENSES/grub2-splashimages.copyright"),
    Source("sddm-theme-maldives", "trixie",
           ("usr/share/sddm/themes/maldives/background.jpg",),
           "CC-BY-SA-3.0 (2012, Dr. Peter Schmidt; Files: data/themes/maldives/*); see "
           "LICENSES/sddm-theme-maldives.copyright"),
    # issue 20: more photos (appended, so that the photos above stay byte-identical)
    Source("plasma-workspace-wallpapers", "trixie",
           ("usr/share/wallpapers/Mountain/contents/images/5120x2880.png",),
           "GPL-2+ (Files: *, 2014 KDE Visual Design Group); see "
           "LICENSES/plasma-workspace-wallpapers.copyright"),
    *_by_licence("gcompris-qt-data", "bookworm", {
        _gc("categorization", "images/" + f): lic
        for lic, fs in _GC_CATEGORIZATION for f in fs.split()}, qualify=True),
    Source("kalzium-data", "bookworm", tuple(
        "usr/share/kalzium/data/toolpics/" + f + ".jpg" for f in (
            "abzug", "becherglas", "brechungsmesser", "brenner", "dsc", "erlenmeyerkolben",
            "exikator", "hplc", "moerser", "phpapier", "rg-staender", "rotationsverdampfer",
            "rundkolben", "spatel", "tonschale", "trichter", "trockenrohr", "verteiler",
            "waage")),
        "GPL-2.0-or-later (Files: *); see LICENSES/kalzium-data.copyright"),
    Source("wordpress-theme-twentytwentyfive", "trixie", tuple(
        _WP25 + f + ".webp" for f in (
            "botany-flowers", "category-anthuriums", "coming-soon-bg-image", "coral-square",
            "northern-buttercups-flowers", "red-hibiscus-closeup")),
        "CC0-1.0 (per image in the theme's readme.txt; Debian copyright Files: * GPL-2+); see "
        "LICENSES/wordpress-theme-twentytwentyfive.readme.txt",
        notes=(_WP25.replace("assets/images/", "readme.txt"),)),
    Source("wordpress-theme-twentytwentyfour", "trixie", tuple(
        _WP24 + f + ".webp" for f in (
            "abstract-geometric-art", "angular-roof", "art-gallery", "building-exterior",
            "green-staircase", "museum", "tourist-and-building", "windows")),
        "CC0-1.0 (per image in the theme's readme.txt; Debian copyright Files: * GPL-2+); see "
        "LICENSES/wordpress-theme-twentytwentyfour.readme.txt",
        notes=(_WP24.replace("assets/images/", "readme.txt"),)),
    Source("puzzle-jigsaw", "bookworm", tuple(
        "usr/share/puzzle-jigsaw/samples/" + f for f in (
            "cat-animal-cat-portrait-mackerel.jpg", "pexels-photo-302304.jpeg")),
        "CC0-1.0 (Files: samples/*, 2016-2017 Pexels); see LICENSES/puzzle-jigsaw.copyright"),
    Source("kphotoalbum", "bookworm", tuple(
        "usr/share/kphotoalbum/demo/" + f + ".jpg" for f in (
            "anne_helene", "bar55", "bar55_2", "blackie", "cold_water", "donna", "donna_2",
            "grand_canyon_1", "grand_canyon_2", "grand_canyon_3", "jesper", "jesper_2",
            "new_wave_1", "new_wave_2", "pool", "pool_2", "qt-logo", "skagen", "skagen_2",
            "snow", "spiff", "spiff_2", "sunset", "wayne")),
        "GPL-2+ (the whole package, 2003-2014 Jesper K. Pedersen and others); see "
        "LICENSES/kphotoalbum.copyright"),
    Source("scribus-template", "bookworm", tuple(
        "usr/share/scribus/templates/" + f for f in (
            "br2/nature.jpg", "br2/sunset.jpg", "menu1/teriyaki.png", "menu2/pizza.jpg")),
        "public domain (templates br2, menu1, menu2, 2004 Riku Leino); see "
        "LICENSES/scribus-template.copyright"),
    Source("kodi-data", "bookworm", tuple(
        "usr/share/kodi/addons/skin.estuary/extras/home-images/" + f + ".jpg"
        for f in ("movie", "music")),
        "CC0-1.0 (Files: addons/skin.estuary/extras/home-images/movie.jpg, music.jpg); see "
        "LICENSES/kodi-data.copyright"),
    Source("hugin-data", "bookworm", tuple(
        "usr/share/hugin/xrc/data/help_en_EN/" + f + ".jpg" for f in (
            "800px-C_Marchi-GrandCentral-adj", "CA_fringes00", "CA_tCA00")),
        "GPL-2+ (Files: *); see LICENSES/hugin-data.copyright"),
)


def packages(suite: str) -> list[str]:
    """The packages to fetch from one Debian suite (``apt-get download``)."""
    suites = sorted({s.suite for s in SOURCES})
    if suite not in suites:
        raise ValueError(f"suite '{suite}' is not one of the sources' suites {suites}")
    return sorted({s.package for s in SOURCES if s.suite == suite})


if __name__ == "__main__":
    try:
        print(" ".join(packages(sys.argv[1] if len(sys.argv) > 1 else "")))
    except ValueError as exc:
        print(f"photo_sources: error: {exc}", file=sys.stderr)
        sys.exit(2)

