#pragma once
// police.uk's map points: each incident is placed "On or near" a street, or a kind of place
// ("On or near Supermarket"). Streets let a reader find an area; kinds of place say who is there.
#include <string_view>

namespace safer {

/// police.uk map points that name a kind of place rather than a street.
inline constexpr const char* generic_places[] = {"Supermarket", "Parking Area", "Sports/Recreation Area", "Shopping Area", "Petrol Station",
                                                 "Pedestrian Subway", "Nightclub", "Hospital", "Further/Higher Educational Building",
                                                 "Park/Open Space", "Conference/Exhibition Centre", "Theatre/Concert Hall", "Prison", "Police Station",
                                                 "Bus/Coach Station", "Airport/Airfield", "Hotel/Motel", "Railway Station", "No Location"};

/// The place a police.uk Location names, without "On or near " and surrounding spaces.
std::string_view place_of(std::string_view location);
/// True when a police.uk Location names a kind of place (generic_places), not a street.
bool is_generic_place(std::string_view location);
/// The street a Location names, or "" for a kind of place or an empty location.
std::string_view street_of(std::string_view location);

} // namespace safer
