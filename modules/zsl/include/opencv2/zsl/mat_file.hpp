// This file is part of the opencv_zsl module (cv::zsl).
#ifndef OPENCV_ZSL_MAT_FILE_HPP
#define OPENCV_ZSL_MAT_FILE_HPP

#include <opencv2/core.hpp>
#include <memory>

namespace cv {
namespace zsl {

//! @addtogroup zsl
//! @{

/** @brief Reads and writes MATLAB level-5 MAT-files (the format of the zero-shot learning benchmarks).

The GBU benchmark (Xian et al., TPAMI 2018) ships its splits, class prototypes and features as
MAT-files; this class reads them without MATLAB, SciPy or HDF5. Supported: compressed
(`miCOMPRESSED`) and plain (`miMATRIX`) variables, the numeric classes double, single,
int8 ... uint64 (logical arrays read as uint8), any on-disk data type for any class (MATLAB stores
small integers in doubles compactly), the small data element format, char arrays and cell arrays
of char arrays (UTF-16, UTF-8 or 8-bit data), little- and big-endian files. Structs, objects,
sparse and complex arrays are listed by names() but cannot be read with matrix().
MAT v7.3 files are HDF5 and are rejected with a message saying so.

Every size read from a file is checked against the bytes that remain (or, for compressed
variables, against the output zlib actually produces) before anything is allocated; a corrupt,
truncated or hostile file raises cv::Exception naming the file, the variable and the byte offset.

@code
    cv::zsl::MatFile mat("AWA2/att_splits.mat");
    cv::Mat att = mat.matrix("att");                                   // 85 x 50, CV_64F
    std::vector<cv::String> names = mat.strings("allclasses_names");   // 50 names
@endcode
*/
class CV_EXPORTS MatFile
{
public:
    /** @brief MATLAB array classes (the mxClassID values of the format). */
    enum Class
    {
        CLASS_UNKNOWN = 0,
        CLASS_CELL = 1,
        CLASS_STRUCT = 2,
        CLASS_OBJECT = 3,
        CLASS_CHAR = 4,
        CLASS_SPARSE = 5,
        CLASS_DOUBLE = 6,
        CLASS_SINGLE = 7,
        CLASS_INT8 = 8,
        CLASS_UINT8 = 9,
        CLASS_INT16 = 10,
        CLASS_UINT16 = 11,
        CLASS_INT32 = 12,
        CLASS_UINT32 = 13,
        CLASS_INT64 = 14,
        CLASS_UINT64 = 15
    };

    //! An empty file (no variables).
    MatFile();
    /** @brief Reads every variable of a MAT-file.
    @throws cv::Exception when the file is missing, not a level-5 MAT-file, truncated or corrupt.
    */
    explicit MatFile(const String& filename);
    MatFile(const MatFile& other);
    MatFile(MatFile&& other) noexcept;
    MatFile& operator=(const MatFile& other);
    MatFile& operator=(MatFile&& other) noexcept;
    ~MatFile();

    //! Replaces the contents with the variables of `filename` (see the constructor).
    void read(const String& filename);
    /** @brief Replaces the contents with the variables of a MAT-file held in memory.
    @param bytes the whole file.
    @param sourceName name used in error messages.
    */
    void decode(const std::vector<uchar>& bytes, const String& sourceName = "<memory>");

    /** @brief Writes all variables as a level-5 MAT-file, each variable zlib-compressed.
    The file is replaced atomically (temporary file + rename); MATLAB, Octave and SciPy read it.
    */
    void write(const String& filename) const;
    //! The bytes write() would store.
    std::vector<uchar> encode() const;

    //! Whether a variable called `name` exists.
    bool has(const String& name) const;
    //! Names of all variables, in file (or insertion) order.
    std::vector<String> names() const;
    //! Class of variable `name` (see Class). @throws cv::Exception for an unknown name.
    int matClass(const String& name) const;
    //! MATLAB dimensions of variable `name` (at least 2). @throws cv::Exception for an unknown name.
    std::vector<int> size(const String& name) const;
    //! Removes variable `name` (no effect when absent).
    void remove(const String& name);
    //! Removes all variables.
    void clear();

    /** @brief A numeric variable as a 2-D matrix, rows x cols as in MATLAB.
    @param name variable name.
    @param depth requested depth, or -1 for the class's own: double -> CV_64F, single -> CV_32F,
    int8/uint8/int16/uint16/int32 -> CV_8S/CV_8U/CV_16S/CV_16U/CV_32S; uint32, int64 and uint64
    (no OpenCV depth) -> CV_64F, throwing when a value is beyond 2^53 and would not be exact.
    Other depths are produced with Mat::convertTo (saturating).
    @throws cv::Exception for an unknown name, a non-numeric, complex, sparse or N-D (N > 2) variable.
    */
    Mat matrix(const String& name, int depth = -1) const;

    /** @brief A cell array of char arrays (e.g. class names), in MATLAB's column-major order, as UTF-8.
    A char matrix is also accepted: each row is one string (trailing blanks kept).
    Nested 1x1 cells (as SciPy writes object arrays) are unwrapped.
    @throws cv::Exception for an unknown name or a cell that holds something other than text.
    */
    std::vector<String> strings(const String& name) const;

    /** @brief Adds or replaces a numeric variable.
    @param name a MATLAB identifier (letter, then letters, digits, '_'; at most 63 characters).
    @param m 2-D single-channel matrix of any depth; stored rows x cols.
    @param matClass the MATLAB class to store (Class), or -1 for the one matching m's depth
    (CV_64F -> double, CV_32F and CV_16F -> single, CV_8U -> uint8, ...). When the class is an
    integer class, every value must be an integer within its range (no silent rounding).
    */
    void setMatrix(const String& name, InputArray m, int matClass = -1);

    /** @brief Adds or replaces a cell array of char arrays (N x 1, like `allclasses_names`).
    @param name a MATLAB identifier.
    @param values UTF-8 strings (each stored as a 1 x len char array, '' as 0 x 0).
    */
    void setStrings(const String& name, const std::vector<String>& values);

    struct Impl; //!< implementation detail
private:
    std::unique_ptr<Impl> p;
};

//! @}

}} // namespace cv::zsl

#endif
